//! What `harden` decides, one behaviour at a time, on small applications.

use serde_json::{json, Value};
use tailor_check::ObjectSource;
use tailor_harden::{harden, Evidence, Hardened, Input, Options, IGNORE_ANNOTATION};
use tailor_kube::TypeMeta;
use tailor_pss::{Level, Version};

fn input(value: Value) -> Input {
    let metadata = |key: &str| value["metadata"][key].as_str().map(Into::into);
    let source = ObjectSource {
        file: "app.yaml".into(),
        line: 1,
        type_meta: TypeMeta::of(&value).unwrap(),
        namespace: metadata("namespace"),
        name: metadata("name"),
    };
    Input::decode(source, value, false).unwrap()
}

fn run_at(level: Level, objects: Vec<Value>, evidence: &Evidence) -> Hardened {
    let options = Options {
        level,
        version: Version::Latest,
    };
    harden(objects.into_iter().map(input).collect(), evidence, &options)
}

fn run(objects: Vec<Value>) -> Hardened {
    run_at(Level::Restricted, objects, &Evidence::default())
}

fn deployment(name: &str, pod: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "ml"},
           "spec": {"selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}}, "spec": pod}}})
}

fn pod_spec(hardened: &Hardened, name: &str) -> Value {
    let object = hardened
        .objects
        .iter()
        .find(|o| o.source.name.as_deref() == Some(name))
        .unwrap();
    object.hardened["spec"]["template"]["spec"].clone()
}

fn generated<'a>(hardened: &'a Hardened, kind: &str, name: &str) -> Option<&'a Value> {
    hardened
        .generated
        .iter()
        .find(|g| g["kind"] == kind && g["metadata"]["name"] == name)
}

#[test]
fn a_plain_workload_gets_pod_level_settings_and_keeps_its_explicit_non_root_user() {
    let web = deployment(
        "web",
        json!({"containers": [
            {"name": "app", "image": "app:1", "securityContext": {"runAsUser": 1000}, "ports": [{"containerPort": 80}]},
            {"name": "sidecar", "image": "proxy:1", "ports": [{"containerPort": 9000}]}]}),
    );
    let hardened = run(vec![web]);
    let outcome = &hardened.workloads[0];
    assert_eq!((outcome.before, outcome.after), (Level::Baseline, Level::Restricted));
    assert!(outcome.exemption.is_none());
    let spec = pod_spec(&hardened, "web");
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    assert_eq!(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    let app = &spec["containers"][0]["securityContext"];
    assert_eq!(app["runAsUser"], 1000);
    assert_eq!(
        app["capabilities"],
        json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})
    );
    assert_eq!(
        spec["containers"][1]["securityContext"]["capabilities"],
        json!({"drop": ["ALL"]}),
        "port 9000 needs no NET_BIND_SERVICE"
    );
    assert_eq!(app["readOnlyRootFilesystem"], true);
    assert_eq!(
        spec["containers"][0]["volumeMounts"],
        json!([{"name": "tailor-tmp", "mountPath": "/tmp"}])
    );
    assert_eq!(spec["volumes"], json!([{"name": "tailor-tmp", "emptyDir": {}}]));
    // Only the container without a user is left to verify.
    let unknown: Vec<&String> = outcome
        .edits
        .verify
        .iter()
        .filter(|v| v.contains("user is unknown"))
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(unknown[0].contains("\"sidecar\""));
    // Its own account, with no token: nothing grants `default` anything.
    assert_eq!(spec["serviceAccountName"], "web");
    assert_eq!(spec["automountServiceAccountToken"], false);
    assert!(generated(&hardened, "ServiceAccount", "web").is_some());
    let namespace = generated(&hardened, "Namespace", "ml").unwrap();
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
}

#[test]
fn a_container_declared_root_keeps_root_and_the_others_get_run_as_non_root_at_their_level() {
    let job = deployment(
        "job",
        json!({"containers": [
            {"name": "root", "image": "a", "securityContext": {"runAsUser": 0}},
            {"name": "user", "image": "b"}]}),
    );
    let hardened = run_at(Level::Baseline, vec![job], &Evidence::default());
    let spec = pod_spec(&hardened, "job");
    assert_eq!(spec["securityContext"].get("runAsNonRoot"), None);
    assert_eq!(spec["containers"][0]["securityContext"].get("runAsNonRoot"), None);
    assert_eq!(spec["containers"][1]["securityContext"]["runAsNonRoot"], true);
    assert!(hardened.workloads[0].exemption.is_none(), "baseline is reached");
}

#[test]
fn gpu_consumers_lose_privileged_and_host_ipc_and_reach_restricted_with_their_gpu() {
    let llm = deployment(
        "llm",
        json!({"runtimeClassName": "nvidia", "hostIPC": true, "containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.6.0",
            "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_PTRACE"]}},
            "resources": {"limits": {"nvidia.com/gpu": 2}}}]}),
    );
    let hardened = run(vec![llm]);
    assert_eq!(hardened.workloads[0].after, Level::Restricted);
    let spec = pod_spec(&hardened, "llm");
    assert_eq!(spec["runtimeClassName"], "nvidia");
    assert_eq!(spec.get("hostIPC"), None);
    let container = &spec["containers"][0];
    assert_eq!(container["resources"]["limits"]["nvidia.com/gpu"], 2);
    assert_eq!(container["securityContext"].get("privileged"), None);
    assert_eq!(container["securityContext"]["capabilities"], json!({"drop": ["ALL"]}));
    assert!(container["volumeMounts"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "tailor-dshm", "mountPath": "/dev/shm"})));
    assert!(spec["volumes"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "tailor-dshm", "emptyDir": {"medium": "Memory"}})));
}

#[test]
fn a_node_agent_gets_compensating_controls_and_a_reasoned_exemption() {
    let agent = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "node"},
        "spec": {"template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"hostPID": true,
            "containers": [{"name": "agent", "image": "agent:1", "securityContext": {"privileged": true},
                            "volumeMounts": [{"name": "root", "mountPath": "/host"}]},
                           {"name": "exporter", "image": "exp:1"}],
            "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}}}});
    let hardened = run(vec![agent]);
    let outcome = &hardened.workloads[0];
    assert_eq!(outcome.after, Level::Privileged);
    let exemption = outcome.exemption.as_ref().unwrap();
    assert!(exemption.rules.contains(&"PSS-privileged".to_owned()));
    assert!(exemption.rules.contains(&"PSS-hostNamespaces".to_owned()));
    assert!(exemption.rationale.iter().any(|r| r.contains("host")));
    let spec = pod_spec(&hardened, "agent");
    // What could break a node agent is left alone: privileged, root, capabilities, root fs.
    assert_eq!(spec["containers"][0]["securityContext"]["privileged"], true);
    assert_eq!(spec["hostPID"], true);
    assert_eq!(spec["securityContext"].get("runAsNonRoot"), None);
    assert_eq!(spec["containers"][1]["securityContext"].get("capabilities"), None);
    assert_eq!(
        spec["containers"][1]["securityContext"].get("readOnlyRootFilesystem"),
        None
    );
    // Compensating controls: a seccomp profile, no privilege escalation where it is unprivileged.
    assert_eq!(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    assert_eq!(
        spec["containers"][1]["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    let object = &hardened.objects[0].hardened;
    let ignore = object["metadata"]["annotations"][IGNORE_ANNOTATION].as_str().unwrap();
    assert!(ignore.starts_with(&exemption.rules.join(",")), "{ignore}");
    let namespace = generated(&hardened, "Namespace", "node").unwrap();
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "privileged"
    );
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/warn"],
        "restricted"
    );
}

#[test]
fn network_policies_follow_services_and_never_add_to_a_users_policy() {
    let api = deployment(
        "api",
        json!({"containers": [{"name": "api", "image": "api:1",
            "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}]}]}),
    );
    let service = |namespace: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": namespace},
               "spec": {"selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": "http"}]}})
    };
    let hardened = run(vec![api.clone(), service("ml"), service("other")]);
    let policy = generated(&hardened, "NetworkPolicy", "api-least-privilege").unwrap();
    assert_eq!(policy["spec"]["podSelector"]["matchLabels"], json!({"app": "api"}));
    assert_eq!(
        policy["spec"]["ingress"],
        json!([{"ports": [{"protocol": "TCP", "port": "http"}]}])
    );
    let egress = policy["spec"]["egress"].to_string();
    assert!(egress.contains(r#""except":["169.254.169.254/32"]"#), "{egress}");
    assert!(generated(&hardened, "NetworkPolicy", "default-deny").is_some());
    assert!(hardened.workloads[0]
        .edits
        .verify
        .iter()
        .any(|v| v.contains("9090 (metrics)")));

    let mine = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "mine", "namespace": "ml"},
        "spec": {"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{}]}});
    let hardened = run(vec![api, service("ml"), mine]);
    assert!(generated(&hardened, "NetworkPolicy", "api-least-privilege").is_none());
}

#[test]
fn tokens_go_only_where_the_inputs_show_no_use_and_recorded_profiles_are_used() {
    let named = deployment(
        "operator",
        json!({"serviceAccountName": "operator", "containers": [{"name": "manager", "image": "op:1"}]}),
    );
    // Without any RBAC among the inputs, a named account may well have bindings elsewhere.
    let hardened = run(vec![named.clone()]);
    assert_eq!(
        pod_spec(&hardened, "operator").get("automountServiceAccountToken"),
        None
    );
    assert!(hardened.workloads[0]
        .edits
        .verify
        .iter()
        .any(|v| v.contains("its token is kept")));

    // With RBAC loaded and nothing bound to it, the token goes.
    let unrelated = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "other", "namespace": "ml"}, "rules": []});
    let mut evidence = Evidence::default();
    evidence
        .seccomp
        .insert(("ml".to_owned(), "operator".to_owned(), "manager".to_owned()));
    let hardened = run_at(Level::Restricted, vec![named.clone(), unrelated.clone()], &evidence);
    let spec = pod_spec(&hardened, "operator");
    assert_eq!(spec["automountServiceAccountToken"], false);
    assert_eq!(
        spec["containers"][0]["securityContext"]["seccompProfile"],
        json!({"type": "Localhost", "localhostProfile": "tailor/ml/operator/manager.json"})
    );

    // Bound: the token stays.
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "operator", "namespace": "ml"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "other"},
        "subjects": [{"kind": "ServiceAccount", "name": "operator"}]});
    let hardened = run(vec![named, unrelated, binding]);
    assert_eq!(
        pod_spec(&hardened, "operator").get("automountServiceAccountToken"),
        None
    );
}
