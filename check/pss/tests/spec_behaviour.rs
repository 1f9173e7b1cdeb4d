//! Behaviour from `shared/spec/pss-checks.md` that the upstream fixtures do not cover:
//! ephemeral containers, the AppArmor fields, version-dependent relaxations, the Windows
//! exemptions, multi-value messages, field paths and the strictest-level helper.

use serde_json::{json, Value};
use tailor_kube::defaults::apply_admission_defaults;
use tailor_kube::{PodBearingKind, PodTemplate};
use tailor_pss::{evaluate, strictest_level, Evaluation, Level, Version};

fn pod(object: Value) -> PodTemplate {
    let mut pod = PodTemplate::extract(PodBearingKind::Pod, &object).unwrap().unwrap();
    apply_admission_defaults(&mut pod);
    pod
}

fn eval(level: Level, version: &str, pod: &PodTemplate) -> Evaluation {
    evaluate(level, version.parse().unwrap(), &pod.metadata, &pod.spec)
}

/// A container that meets restricted at every version.
fn restricted_container(name: &str) -> Value {
    json!({"name": name, "image": "busybox", "securityContext": {
        "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}})
}

/// A pod that meets restricted at every version; `edit` adjusts it.
fn restricted_pod(edit: impl FnOnce(&mut Value)) -> PodTemplate {
    let mut object = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [restricted_container("init")],
        "containers": [restricted_container("app")]}});
    edit(&mut object);
    pod(object)
}

/// `(check, detail)` of each violation.
fn violations(evaluation: &Evaluation) -> Vec<(&str, &str)> {
    evaluation
        .violations
        .iter()
        .map(|v| (v.check, v.detail.as_str()))
        .collect()
}

/// The field paths of one check's violation, rendered.
fn fields_of(evaluation: &Evaluation, check: &str) -> Vec<String> {
    let violation = evaluation
        .violations
        .iter()
        .find(|v| v.check == check)
        .unwrap_or_else(|| panic!("no {check} violation in {}", evaluation.message()));
    violation.fields.iter().map(ToString::to_string).collect()
}

#[test]
fn restricted_pod_is_allowed_at_every_version() {
    let p = restricted_pod(|_| {});
    for minor in 0..=40 {
        let version = format!("v1.{minor}");
        assert!(eval(Level::Restricted, &version, &p).allowed(), "{version}");
    }
    assert!(eval(Level::Restricted, "latest", &p).allowed());
}

#[test]
fn ephemeral_containers_are_checked_after_the_others() {
    let p = restricted_pod(|o| {
        o["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox",
            "securityContext": {"privileged": true}}]);
        o["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = json!(true);
    });
    let baseline = eval(Level::Baseline, "latest", &p);
    assert_eq!(
        violations(&baseline),
        [(
            "privileged",
            r#"container "debug" must not set securityContext.privileged=true"#
        )]
    );
    assert_eq!(
        fields_of(&baseline, "privileged"),
        ["spec.ephemeralContainers[0].securityContext.privileged"]
    );
    let restricted = eval(Level::Restricted, "latest", &p);
    assert_eq!(
        restricted.message(),
        r#"violates PodSecurity "restricted:latest": privileged (container "debug" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (containers "app", "debug" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "debug" must set securityContext.capabilities.drop=["ALL"])"#
    );
    assert_eq!(
        fields_of(&restricted, "allowPrivilegeEscalation"),
        [
            "spec.containers[0].securityContext.allowPrivilegeEscalation",
            "spec.ephemeralContainers[0].securityContext"
        ]
    );
}

#[test]
fn apparmor_fields_and_annotations_are_reported_together() {
    let p = restricted_pod(|o| {
        o["spec"]["securityContext"]["appArmorProfile"] = json!({"type": "Unconfined"});
        o["spec"]["containers"][0]["securityContext"]["appArmorProfile"] = json!({"type": "Unconfined"});
        o["spec"]["initContainers"][0]["securityContext"]["appArmorProfile"] = json!({});
        o["metadata"]["annotations"] = json!({
            "container.apparmor.security.beta.kubernetes.io/ghost": "unconfined",
            "container.apparmor.security.beta.kubernetes.io/app": "localhost/",
            "container.apparmor.security.beta.kubernetes.io/init": "",
        });
    });
    let e = eval(Level::Baseline, "v1.0", &p);
    assert_eq!(e.violations.len(), 1);
    assert_eq!(e.violations[0].reason, "forbidden AppArmor profiles");
    assert_eq!(
        e.violations[0].detail,
        r#"pod and containers "init", "app" and annotation must not set AppArmor profile type to "", "Unconfined", "container.apparmor.security.beta.kubernetes.io/ghost="unconfined"""#
    );
    assert_eq!(
        fields_of(&e, "appArmorProfile"),
        [
            "spec.securityContext.appArmorProfile.type",
            "spec.initContainers[0].securityContext.appArmorProfile.type",
            "spec.containers[0].securityContext.appArmorProfile.type",
            r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/ghost"]"#,
        ]
    );

    let allowed = restricted_pod(|o| {
        o["spec"]["securityContext"]["appArmorProfile"] = json!({"type": "RuntimeDefault"});
        o["spec"]["containers"][0]["securityContext"]["appArmorProfile"] =
            json!({"type": "Localhost", "localhostProfile": "p"});
    });
    assert!(eval(Level::Restricted, "latest", &allowed).allowed());

    let single = restricted_pod(|o| {
        o["spec"]["containers"][0]["securityContext"]["appArmorProfile"] = json!({"type": "Unconfined"});
    });
    let e = eval(Level::Restricted, "latest", &single);
    assert_eq!(e.violations[0].reason, "forbidden AppArmor profile");
    assert_eq!(
        e.violations[0].detail,
        r#"container "app" must not set AppArmor profile type to "Unconfined""#
    );
}

#[test]
fn annotation_values_are_go_quoted_and_sorted_as_whole_entries() {
    let prefix = "container.apparmor.security.beta.kubernetes.io/";
    let p = restricted_pod(|o| {
        o["metadata"]["annotations"] = json!({
            format!("{prefix}a"): "bad\n\"x\"",
            format!("{prefix}a-"): "unconfined",
        });
    });
    // `a-=` sorts before `a=` as a whole string, though the key `a` sorts before `a-`.
    assert_eq!(
        eval(Level::Baseline, "latest", &p).violations[0].detail,
        format!(
            r#"annotations must not set AppArmor profile type to "{prefix}a-="unconfined"", "{prefix}a="bad\n\"x\""""#
        )
    );
}

#[test]
fn container_engine_t_is_allowed_from_v1_31() {
    let p = restricted_pod(|o| {
        o["spec"]["containers"][0]["securityContext"]["seLinuxOptions"] =
            json!({"type": "container_engine_t", "level": "s0:c1"});
    });
    assert!(eval(Level::Baseline, "v1.31", &p).allowed());
    assert!(eval(Level::Restricted, "v1.31", &p).allowed());
    let e = eval(Level::Baseline, "v1.30", &p);
    assert_eq!(
        violations(&e),
        [(
            "seLinuxOptions",
            r#"container "app" set forbidden securityContext.seLinuxOptions: type "container_engine_t""#
        )]
    );
    assert_eq!(
        fields_of(&e, "seLinuxOptions"),
        ["spec.containers[0].securityContext.seLinuxOptions.type"]
    );
}

#[test]
fn user_namespace_relaxations_start_at_v1_35_and_skip_restricted_proc_mount() {
    let root = restricted_pod(|o| {
        o["spec"]["hostUsers"] = json!(false);
        o["spec"]["securityContext"] = json!({"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}});
    });
    assert!(eval(Level::Restricted, "v1.35", &root).allowed());
    assert_eq!(
        violations(&eval(Level::Restricted, "v1.34", &root)),
        [
            (
                "runAsNonRoot",
                r#"pod or containers "init", "app" must set securityContext.runAsNonRoot=true"#
            ),
            ("runAsUser", "pod must not set runAsUser=0"),
        ]
    );

    let unmasked = |host_users: bool| {
        restricted_pod(|o| {
            o["spec"]["hostUsers"] = json!(host_users);
            o["spec"]["containers"][0]["securityContext"]["procMount"] = json!("Unmasked");
        })
    };
    let detail = r#"container "app" must not set securityContext.procMount to "Unmasked""#;
    assert!(eval(Level::Baseline, "v1.35", &unmasked(false)).allowed());
    assert_eq!(
        violations(&eval(Level::Baseline, "v1.34", &unmasked(false))),
        [("procMount", detail)]
    );
    assert_eq!(
        violations(&eval(Level::Baseline, "v1.35", &unmasked(true))),
        [("procMount", detail)]
    );
    // Restricted never allows Unmasked: before v1.35 through the baseline check, after it
    // through procMount_restricted, which replaces it.
    assert_eq!(
        violations(&eval(Level::Restricted, "v1.35", &unmasked(false))),
        [("procMount_restricted", detail)]
    );
    assert_eq!(
        violations(&eval(Level::Restricted, "v1.34", &unmasked(false))),
        [("procMount", detail)]
    );
    assert_eq!(
        eval(Level::Restricted, "latest", &unmasked(false)).violations[0].reason,
        "procMount"
    );
}

/// The restricted v1.0 minimal pod on Windows: only `runAsNonRoot: true`.
fn windows_pod(edit: impl FnOnce(&mut Value)) -> PodTemplate {
    let mut object = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w"}, "spec": {
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "app", "image": "busybox"}]}});
    edit(&mut object);
    pod(object)
}

#[test]
fn windows_pods_are_exempt_from_three_restricted_checks_from_v1_25() {
    let p = windows_pod(|_| {});
    for minor in 25..=28 {
        assert!(
            eval(Level::Restricted, &format!("v1.{minor}"), &p).allowed(),
            "v1.{minor}"
        );
    }
    assert_eq!(
        violations(&eval(Level::Restricted, "v1.24", &p)),
        [
            (
                "allowPrivilegeEscalation",
                r#"container "app" must set securityContext.allowPrivilegeEscalation=false"#
            ),
            (
                "capabilities_restricted",
                r#"container "app" must set securityContext.capabilities.drop=["ALL"]"#
            ),
            (
                "seccompProfile_restricted",
                r#"pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#
            ),
        ]
    );
    // `os.name: linux` is an ordinary pod, as is a differently-cased Windows.
    for os in ["linux", "Windows"] {
        let other = windows_pod(|o| o["spec"]["os"]["name"] = json!(os));
        assert!(!eval(Level::Restricted, "v1.25", &other).allowed(), "{os}");
    }
    // runAsNonRoot is not exempt.
    let root = windows_pod(|o| o["spec"]["securityContext"] = json!({}));
    assert_eq!(
        violations(&eval(Level::Restricted, "latest", &root)),
        [(
            "runAsNonRoot",
            r#"pod or container "app" must set securityContext.runAsNonRoot=true"#
        )]
    );
}

#[test]
fn windows_pod_adding_sys_admin_fails_baseline_but_passes_restricted() {
    let p = windows_pod(|o| {
        o["spec"]["containers"][0]["securityContext"] = json!({"capabilities": {"add": ["SYS_ADMIN"]}});
        o["spec"]["securityContext"]["seccompProfile"] = json!({"type": "Unconfined"});
    });
    assert!(eval(Level::Restricted, "v1.25", &p).allowed());
    assert!(eval(Level::Restricted, "latest", &p).allowed());
    let baseline = eval(Level::Baseline, "v1.25", &p);
    assert_eq!(
        violations(&baseline),
        [
            (
                "capabilities_baseline",
                r#"container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add"#
            ),
            (
                "seccompProfile_baseline",
                r#"pod must not set securityContext.seccompProfile.type to "Unconfined""#
            ),
        ]
    );
    assert_eq!(
        strictest_level(Version::V1(25), &p.metadata, &p.spec).0,
        Level::Privileged
    );
}

#[test]
fn host_ports_are_distinct_and_sorted_as_strings() {
    let p = restricted_pod(|o| {
        o["spec"]["initContainers"][0]["ports"] = json!([{"containerPort": 80, "hostPort": 8080}]);
        o["spec"]["containers"][0]["ports"] = json!([
            {"containerPort": 80, "hostPort": 10000},
            {"containerPort": 81},
            {"containerPort": 82, "hostPort": 8080},
            {"containerPort": 83, "hostPort": 0}]);
    });
    let e = eval(Level::Baseline, "latest", &p);
    assert_eq!(
        violations(&e),
        [("hostPorts", r#"containers "init", "app" use hostPorts 10000, 8080"#)]
    );
    assert_eq!(e.violations[0].reason, "hostPort");
    assert_eq!(
        fields_of(&e, "hostPorts"),
        [
            "spec.initContainers[0].ports[0].hostPort",
            "spec.containers[0].ports[0].hostPort",
            "spec.containers[0].ports[2].hostPort",
        ]
    );

    let one = restricted_pod(|o| o["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80, "hostPort": 80}]));
    assert_eq!(
        violations(&eval(Level::Baseline, "latest", &one)),
        [("hostPorts", r#"container "app" uses hostPort 80"#)]
    );
}

#[test]
fn host_network_pods_get_host_ports_by_defaulting() {
    let p = restricted_pod(|o| {
        o["spec"]["hostNetwork"] = json!(true);
        o["spec"]["containers"][0]["ports"] = json!([{"containerPort": 9090}]);
    });
    let e = eval(Level::Baseline, "latest", &p);
    assert_eq!(
        violations(&e),
        [
            ("hostNamespaces", "hostNetwork=true"),
            ("hostPorts", r#"container "app" uses hostPort 9090"#),
        ]
    );
    assert_eq!(fields_of(&e, "hostNamespaces"), ["spec.hostNetwork"]);
}

#[test]
fn multiple_values_are_sorted_sets_and_pluralised() {
    let p = restricted_pod(|o| {
        o["spec"]["initContainers"][0]["securityContext"]["capabilities"]["add"] = json!(["SYS_ADMIN", "CHOWN"]);
        o["spec"]["containers"][0]["securityContext"]["capabilities"] =
            json!({"drop": ["all"], "add": ["NET_ADMIN", "SYS_ADMIN", "NET_BIND_SERVICE"]});
        o["spec"]["securityContext"]["sysctls"] = json!([
            {"name": "b", "value": "1"}, {"name": "kernel.shm_rmid_forced", "value": "1"},
            {"name": "a", "value": "1"}, {"name": "b", "value": "2"}]);
        o["spec"]["hostIPC"] = json!(true);
        o["spec"]["hostNetwork"] = json!(true);
        o["spec"]["volumes"] = json!([
            {"name": "cfg", "configMap": {"name": "c"}},
            {"name": "nfs", "nfs": {"server": "s", "path": "/"}},
            {"name": "host", "hostPath": {"path": "/"}},
            {"name": "both", "hostPath": {"path": "/"}, "secret": {"secretName": "s"}}]);
    });
    let baseline = eval(Level::Baseline, "latest", &p);
    assert_eq!(
        violations(&baseline),
        [
            (
                "capabilities_baseline",
                r#"containers "init", "app" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add"#
            ),
            ("hostNamespaces", "hostNetwork=true, hostIPC=true"),
            ("hostPathVolumes", r#"volumes "host", "both""#),
            ("sysctls", "b, a, b"),
        ]
    );
    assert_eq!(baseline.violations[3].reason, "forbidden sysctls");
    assert_eq!(
        fields_of(&baseline, "sysctls"),
        [
            "spec.securityContext.sysctls[0].name",
            "spec.securityContext.sysctls[2].name",
            "spec.securityContext.sysctls[3].name",
        ]
    );
    assert_eq!(
        fields_of(&baseline, "capabilities_baseline"),
        [
            "spec.initContainers[0].securityContext.capabilities.add[0]",
            "spec.containers[0].securityContext.capabilities.add[0]",
            "spec.containers[0].securityContext.capabilities.add[1]",
        ]
    );
    assert_eq!(
        fields_of(&baseline, "hostPathVolumes"),
        ["spec.volumes[2].hostPath", "spec.volumes[3].hostPath"]
    );

    let restricted = eval(Level::Restricted, "latest", &p);
    assert_eq!(
        violations(&restricted),
        [
            ("hostNamespaces", "hostNetwork=true, hostIPC=true"),
            ("sysctls", "b, a, b"),
            (
                "capabilities_restricted",
                r#"container "app" must set securityContext.capabilities.drop=["ALL"]; containers "init", "app" must not include "CHOWN", "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add"#
            ),
            (
                "restrictedVolumes",
                r#"volumes "nfs", "host" use restricted volume types "hostPath", "nfs""#
            ),
        ]
    );
    assert_eq!(
        fields_of(&restricted, "restrictedVolumes"),
        ["spec.volumes[1].nfs", "spec.volumes[2].hostPath"]
    );
    assert_eq!(
        fields_of(&restricted, "capabilities_restricted"),
        [
            "spec.containers[0].securityContext.capabilities.drop",
            "spec.initContainers[0].securityContext.capabilities.add[0]",
            "spec.initContainers[0].securityContext.capabilities.add[1]",
            "spec.containers[0].securityContext.capabilities.add[0]",
            "spec.containers[0].securityContext.capabilities.add[1]",
        ]
    );
}

#[test]
fn missing_fields_point_at_the_object_that_must_carry_them() {
    let p = pod(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "initContainers": [{"name": "init", "image": "busybox", "securityContext": {"runAsUser": 1000}}],
        "containers": [
            {"name": "app", "image": "busybox", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}},
            {"name": "bare", "image": "busybox"}]}}),
    );
    let e = eval(Level::Restricted, "latest", &p);
    assert_eq!(
        fields_of(&e, "allowPrivilegeEscalation"),
        [
            "spec.initContainers[0].securityContext",
            "spec.containers[0].securityContext",
            "spec.containers[1]",
        ]
    );
    assert_eq!(
        fields_of(&e, "capabilities_restricted"),
        [
            "spec.initContainers[0].securityContext",
            "spec.containers[0].securityContext.capabilities",
            "spec.containers[1]",
        ]
    );
    assert_eq!(
        fields_of(&e, "runAsNonRoot"),
        [
            "spec.initContainers[0].securityContext",
            "spec.containers[0].securityContext",
            "spec.containers[1]",
        ]
    );
    assert_eq!(
        e.aggregate_reason(),
        "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
    );
}

#[test]
fn probe_hosts_sort_and_deduplicate_containers_and_hosts() {
    let p = restricted_pod(|o| {
        o["spec"]["containers"][0]["livenessProbe"] = json!({"httpGet": {"port": 80, "host": "b.com"}});
        o["spec"]["containers"][0]["lifecycle"] = json!({"preStop": {"tcpSocket": {"port": 80, "host": "a.com"}}});
        o["spec"]["initContainers"][0]["readinessProbe"] = json!({"tcpSocket": {"port": 80, "host": "b.com"}});
        o["spec"]["ephemeralContainers"] =
            json!([{"name": "debug", "startupProbe": {"httpGet": {"port": 80, "host": ""}}}]);
    });
    let e = eval(Level::Baseline, "v1.34", &p);
    assert_eq!(
        violations(&e),
        [(
            "hostProbesAndHostLifecycle",
            r#"containers "app", "init" use probe or lifecycle hosts "a.com", "b.com""#
        )]
    );
    assert_eq!(
        fields_of(&e, "hostProbesAndHostLifecycle"),
        [
            "spec.initContainers[0].readinessProbe.tcpSocket.host",
            "spec.containers[0].livenessProbe.httpGet.host",
            "spec.containers[0].lifecycle.preStop.tcpSocket.host",
        ]
    );
    assert!(eval(Level::Baseline, "v1.33", &p).allowed());
}

#[test]
fn seccomp_annotations_count_only_before_v1_19_and_never_at_restricted_after() {
    let p = restricted_pod(|o| {
        o["metadata"]["annotations"] = json!({
            "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
            "container.seccomp.security.alpha.kubernetes.io/app": "docker/default",
            "container.seccomp.security.alpha.kubernetes.io/init": "",
            "container.seccomp.security.alpha.kubernetes.io/ghost": "unconfined"});
    });
    let detail = r#"forbidden annotations container.seccomp.security.alpha.kubernetes.io/init="", seccomp.security.alpha.kubernetes.io/pod="unconfined""#;
    assert_eq!(
        violations(&eval(Level::Baseline, "v1.18", &p)),
        [("seccompProfile_baseline", detail)]
    );
    assert_eq!(
        violations(&eval(Level::Restricted, "v1.18", &p)),
        [("seccompProfile_baseline", detail)]
    );
    assert!(eval(Level::Baseline, "v1.19", &p).allowed());
    assert!(eval(Level::Restricted, "v1.19", &p).allowed());
    assert_eq!(
        fields_of(&eval(Level::Baseline, "v1.0", &p), "seccompProfile_baseline"),
        [
            r#"metadata.annotations["container.seccomp.security.alpha.kubernetes.io/init"]"#,
            r#"metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]"#,
        ]
    );
}

#[test]
fn explicit_bad_values_hide_implicit_ones() {
    let p = restricted_pod(|o| {
        o["spec"]["securityContext"] = json!({"runAsNonRoot": false, "seccompProfile": {"type": "Unconfined"}});
        o["spec"]["containers"][0]["securityContext"]["seccompProfile"] = json!({});
        o["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] = json!(true);
    });
    assert_eq!(
        violations(&eval(Level::Restricted, "latest", &p)),
        [
            ("runAsNonRoot", "pod must not set securityContext.runAsNonRoot=false"),
            (
                "seccompProfile_restricted",
                r#"pod and container "app" must not set securityContext.seccompProfile.type to "", "Unconfined""#
            ),
        ]
    );
}

#[test]
fn aggregated_message_keeps_the_requested_version() {
    let p = restricted_pod(|o| {
        let sc = &mut o["spec"]["containers"][0]["securityContext"];
        sc["privileged"] = json!(true);
        sc.as_object_mut().unwrap().remove("allowPrivilegeEscalation");
    });
    let e = eval(Level::Restricted, "v1.40", &p);
    assert_eq!(e.policy_version, Version::V1(37));
    assert_eq!(
        e.message(),
        r#"violates PodSecurity "restricted:v1.40": privileged (container "app" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)"#
    );
    assert_eq!(e.aggregate_reason(), "privileged, allowPrivilegeEscalation != false");
    assert!(eval(Level::Privileged, "latest", &p).allowed());
}

#[test]
fn sysctls_follow_the_version_of_the_safe_set() {
    let p = restricted_pod(|o| {
        o["spec"]["securityContext"]["sysctls"] = json!([
            {"name": "net.ipv4.ip_local_reserved_ports", "value": "1"},
            {"name": "net.ipv4.tcp_keepalive_time", "value": "1"},
            {"name": "net.ipv4.tcp_rmem", "value": "1"},
            {"name": "net.ipv4.tcp_notsent_lowat", "value": "1"},
            {"name": "net/ipv4/tcp_syncookies", "value": "1"}]);
    });
    let detail = |version: &str| {
        let e = eval(Level::Baseline, version, &p);
        e.violations[0].detail.clone()
    };
    assert_eq!(
        detail("v1.26"),
        "net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat, net/ipv4/tcp_syncookies"
    );
    assert_eq!(
        detail("v1.27"),
        "net.ipv4.tcp_keepalive_time, net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat, net/ipv4/tcp_syncookies"
    );
    assert_eq!(
        detail("v1.29"),
        "net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat, net/ipv4/tcp_syncookies"
    );
    assert_eq!(detail("v1.32"), "net.ipv4.tcp_notsent_lowat, net/ipv4/tcp_syncookies");
    assert_eq!(detail("v1.37"), "net/ipv4/tcp_syncookies");
    assert_eq!(detail("latest"), "net/ipv4/tcp_syncookies");
}

#[test]
fn strictest_level_names_the_level_met_and_the_failing_one() {
    let restricted = restricted_pod(|_| {});
    let (level, failing) = strictest_level(Version::Latest, &restricted.metadata, &restricted.spec);
    assert_eq!((level, failing), (Level::Restricted, None));

    let baseline = restricted_pod(|o| o["spec"]["securityContext"]["runAsNonRoot"] = json!(false));
    let (level, failing) = strictest_level(Version::Latest, &baseline.metadata, &baseline.spec);
    assert_eq!(level, Level::Baseline);
    let failing = failing.unwrap();
    assert_eq!(failing.level, Level::Restricted);
    assert_eq!(failing.aggregate_reason(), "runAsNonRoot != true");

    let privileged = restricted_pod(|o| o["spec"]["hostPID"] = json!(true));
    let (level, failing) = strictest_level(Version::V1(10), &privileged.metadata, &privileged.spec);
    assert_eq!(level, Level::Privileged);
    let failing = failing.unwrap();
    assert_eq!((failing.level, failing.version), (Level::Baseline, Version::V1(10)));
    assert_eq!(failing.aggregate_detail(), "host namespaces (hostPID=true)");
    assert_eq!(fields_of(&failing, "hostNamespaces"), ["spec.hostPID"]);
}
