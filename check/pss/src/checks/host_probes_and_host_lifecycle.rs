//! `hostProbesAndHostLifecycle` (baseline, v1.34+): probes and lifecycle handlers must not
//! set `httpGet.host` or `tcpSocket.host` (any non-empty host, `localhost` included; `exec`,
//! `grpc` and `sleep` are not inspected). Unlike every other check, its container list is
//! sorted and de-duplicated.

use std::collections::BTreeSet;

use tailor_kube::k8s_openapi::api::core::v1::{HTTPGetAction, LifecycleHandler, Probe, TCPSocketAction};
use tailor_kube::{containers, ContainerView, ObjectMeta, PodSpec};

use super::message::{containers_phrase, pluralize, quote_list};
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "hostProbesAndHostLifecycle";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck::new(
        Version::V1(34),
        host_probes_and_host_lifecycle_1_34,
    )],
};

/// The two actions of a probe or lifecycle handler that can name a host.
type HostActions<'a> = (Option<&'a HTTPGetAction>, Option<&'a TCPSocketAction>);

fn probe_actions(probe: Option<&Probe>) -> HostActions<'_> {
    probe.map_or((None, None), |p| (p.http_get.as_ref(), p.tcp_socket.as_ref()))
}

fn handler_actions(handler: Option<&LifecycleHandler>) -> HostActions<'_> {
    handler.map_or((None, None), |h| (h.http_get.as_ref(), h.tcp_socket.as_ref()))
}

/// Every probe and lifecycle handler of a container, by its path below the container.
fn host_actions<'a>(c: &ContainerView<'a>) -> [(&'static str, HostActions<'a>); 5] {
    let lifecycle = c.lifecycle();
    [
        ("livenessProbe", probe_actions(c.liveness_probe())),
        ("readinessProbe", probe_actions(c.readiness_probe())),
        ("startupProbe", probe_actions(c.startup_probe())),
        (
            "lifecycle.postStart",
            handler_actions(lifecycle.and_then(|l| l.post_start.as_ref())),
        ),
        (
            "lifecycle.preStop",
            handler_actions(lifecycle.and_then(|l| l.pre_stop.as_ref())),
        ),
    ]
}

fn host_probes_and_host_lifecycle_1_34(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut bad_containers = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut fields = Vec::new();
    for c in containers(spec) {
        for (handler, (http_get, tcp_socket)) in host_actions(&c) {
            let named_hosts = [
                ("httpGet", http_get.and_then(|a| a.host.as_deref())),
                ("tcpSocket", tcp_socket.and_then(|a| a.host.as_deref())),
            ];
            for (action, host) in named_hosts {
                if let Some(host) = host.filter(|h| !h.is_empty()) {
                    hosts.insert(host);
                    bad_containers.insert(c.name());
                    fields.push(c.path_to(handler).key(action).key("host"));
                }
            }
        }
    }
    if bad_containers.is_empty() {
        return CheckResult::ALLOWED;
    }
    let names: Vec<&str> = bad_containers.into_iter().collect();
    let detail = format!(
        "{} {} {} {}",
        containers_phrase(&names),
        pluralize("uses", "use", names.len()),
        pluralize("probe or lifecycle host", "probe or lifecycle hosts", hosts.len()),
        quote_list(&hosts)
    );
    CheckResult::forbidden("probe or lifecycle host", detail, fields)
}
