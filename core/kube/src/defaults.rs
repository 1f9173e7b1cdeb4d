//! The API-server defaulting that Pod Security admission decisions depend on.
//!
//! Admission sees objects after defaulting, but manifests on disk are raw. Only two defaults
//! change a Pod Security verdict, and only these are applied:
//! 1. a volume with no source becomes `emptyDir: {}` (otherwise restricted reports it as the
//!    `unknown` volume type);
//! 2. for Pods (not pod templates, since Kubernetes 1.28) with `hostNetwork: true`, every
//!    container and init container port without a `hostPort` gets `hostPort = containerPort`.

use k8s_openapi::api::core::v1::{EmptyDirVolumeSource, Volume};

use crate::workload::{PodBearingKind, PodTemplate};

pub fn apply_admission_defaults(pod: &mut PodTemplate) {
    for volume in pod.spec.volumes.iter_mut().flatten() {
        if has_no_source(volume) {
            volume.empty_dir = Some(EmptyDirVolumeSource::default());
        }
    }
    if pod.kind == PodBearingKind::Pod && pod.spec.host_network == Some(true) {
        let containers = pod
            .spec
            .init_containers
            .iter_mut()
            .flatten()
            .chain(pod.spec.containers.iter_mut());
        for port in containers.flat_map(|c| c.ports.iter_mut().flatten()) {
            if port.host_port.unwrap_or(0) == 0 {
                port.host_port = Some(port.container_port);
            }
        }
    }
}

fn has_no_source(volume: &Volume) -> bool {
    *volume
        == Volume {
            name: volume.name.clone(),
            ..Volume::default()
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(kind: PodBearingKind, spec: serde_json::Value) -> PodTemplate {
        let object = match kind {
            PodBearingKind::Pod => json!({ "spec": spec }),
            _ => json!({ "spec": { "template": { "spec": spec } } }),
        };
        PodTemplate::extract(kind, &object).unwrap().unwrap()
    }

    #[test]
    fn sourceless_volume_becomes_empty_dir_and_others_stay() {
        let mut p = pod(
            PodBearingKind::Pod,
            json!({"containers":[], "volumes":[{"name":"a"},{"name":"b","hostPath":{"path":"/"}}]}),
        );
        apply_admission_defaults(&mut p);
        let volumes = p.spec.volumes.unwrap();
        assert!(volumes[0].empty_dir.is_some());
        assert!(volumes[1].empty_dir.is_none());
    }

    #[test]
    fn host_network_pods_get_host_ports_but_templates_do_not() {
        let spec = json!({"hostNetwork": true, "containers":[{"name":"c","ports":[{"containerPort":8080},{"containerPort":9090,"hostPort":1}]}]});
        let mut p = pod(PodBearingKind::Pod, spec.clone());
        apply_admission_defaults(&mut p);
        let ports = p.spec.containers[0].ports.clone().unwrap();
        assert_eq!(ports[0].host_port, Some(8080));
        assert_eq!(ports[1].host_port, Some(1));

        let mut d = pod(PodBearingKind::Deployment, spec);
        apply_admission_defaults(&mut d);
        assert_eq!(d.spec.containers[0].ports.as_ref().unwrap()[0].host_port, None);
    }
}
