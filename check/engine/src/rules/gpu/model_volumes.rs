//! Model weights and download caches on writable volumes that outlive the pod or are shared
//! beyond it, on serving workloads.

use serde_json::Value;
use tailor_kube::k8s_openapi::api::core::v1::Volume;
use tailor_kube::{containers_in, ContainerList, ContainerView, FieldPath, PodBearingKind};

use super::classify::{self, normalize_path};
use super::is_read_only;
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::{Hits, Rule};
use crate::WorkloadContext;

pub const WRITABLE_MODEL_VOLUME: Rule = Rule {
    id: "TLR-gpu-writable-model-volume",
    title: "Model weights on a writable shared volume",
    severity: Severity::Medium,
    rationale: "A server that can write the volume its weights come from can poison the model that later starts and other replicas load; pickle-based checkpoints run code when loaded. Caches the server fills itself must be writable, and are reported only when several pods share them; Jobs, which train or download models, are expected to write them.",
    remediation: "Mount model volumes readOnly: true and write weights from a separate Job; give each pod its own download cache, or fill a shared cache once and mount it read-only.",
    attack: &[IMPLANT_INTERNAL_IMAGE],
    ms_threat_matrix: None,
};
/// Words in a volume's name or mount path that say it holds model weights.
const MODEL_WORDS: [&str; 13] = [
    "model",
    "weight",
    "checkpoint",
    "ckpt",
    "huggingface",
    "hf-cache",
    "hf_cache",
    "hf-home",
    "nim-cache",
    "/opt/nim/.cache",
    "lora",
    "safetensors",
    "gguf",
];

/// Environment variables that point servers at their download cache.
const CACHE_VARIABLES: [&str; 9] = [
    "NIM_CACHE_PATH",
    "HF_HOME",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "TRANSFORMERS_CACHE",
    "VLLM_CACHE_ROOT",
    "TORCH_HOME",
    "XDG_CACHE_HOME",
    "HF_DATASETS_CACHE",
];

/// The storage behind a volume, when it outlives the pod or is shared beyond it (not
/// emptyDir, ephemeral claims or API-backed volumes, which are per pod or read-only).
fn persistent_storage(volume: &Volume) -> Option<String> {
    if let Some(claim) = &volume.persistent_volume_claim {
        return Some(format!("persistentVolumeClaim \"{}\"", claim.claim_name));
    }
    if let Some(host) = &volume.host_path {
        return Some(format!("hostPath {}", host.path));
    }
    if let Some(nfs) = &volume.nfs {
        return Some(format!("NFS {}:{}", nfs.server, nfs.path));
    }
    if let Some(csi) = &volume.csi {
        return Some(format!("CSI volume of {}", csi.driver));
    }
    let shared = [
        volume.cephfs.is_some(),
        volume.glusterfs.is_some(),
        volume.azure_file.is_some(),
        volume.azure_disk.is_some(),
        volume.gce_persistent_disk.is_some(),
        volume.aws_elastic_block_store.is_some(),
        volume.iscsi.is_some(),
        volume.rbd.is_some(),
        volume.fc.is_some(),
        volume.cinder.is_some(),
        volume.flex_volume.is_some(),
        volume.portworx_volume.is_some(),
        volume.vsphere_volume.is_some(),
    ];
    shared.contains(&true).then(|| "network volume".to_owned())
}

/// How many pods of the workload run at once: `None` for one per node (DaemonSet).
fn replicas(kind: PodBearingKind, object: &Value) -> Option<u64> {
    let count = |path: &str| {
        let value = tailor_kube::workload::lookup(object, &FieldPath::keys(path));
        Some(value.and_then(Value::as_u64).unwrap_or(1))
    };
    match kind {
        PodBearingKind::Pod | PodBearingKind::PodTemplate => Some(1),
        PodBearingKind::DaemonSet => None,
        PodBearingKind::Job => count("spec.parallelism"),
        PodBearingKind::CronJob => count("spec.jobTemplate.spec.parallelism"),
        _ => count("spec.replicas"),
    }
}

/// Serving workloads only: Jobs train, fine-tune or download models and are expected to write
/// them.
pub(super) fn writable_model_volumes(context: &WorkloadContext, hits: &mut Hits) {
    let pod = context.pod;
    if matches!(pod.kind, PodBearingKind::Job | PodBearingKind::CronJob) {
        return;
    }
    let volumes = pod.spec.volumes.as_deref().unwrap_or_default();
    let replicas = replicas(pod.kind, context.object);
    // Init containers are where weights are usually written; the serving containers read.
    for container in containers_in(&pod.spec, ContainerList::Regular) {
        let name = container.name();
        for (index, mount) in container.volume_mounts().iter().enumerate() {
            let path = mount.mount_path.as_str();
            let text = format!("{} {}", mount.name, path).to_ascii_lowercase();
            let cache_path = is_cache_path(container, path);
            if is_read_only(mount) || !(cache_path || MODEL_WORDS.iter().any(|w| text.contains(w))) {
                continue;
            }
            let volume = volumes.iter().find(|v| v.name == mount.name);
            let storage = match volume {
                Some(volume) => persistent_storage(volume),
                // A StatefulSet's volumeClaimTemplates: one claim per replica.
                None if pod.kind == PodBearingKind::StatefulSet => {
                    Some(format!("the claim of volumeClaimTemplate \"{}\"", mount.name))
                }
                None => None,
            };
            let Some(storage) = storage else {
                continue;
            };
            let cache = cache_path || text.contains("cache");
            let field = container.path().key("volumeMounts").index(index);
            let message = if !cache {
                format!(
                    "container \"{name}\" mounts {storage} (volume \"{}\") at {path} writable: a compromised server \
                     can rewrite the weights that later starts and other pods using the volume load, and pickle-based \
                     checkpoints (.bin, .pt) run code when loaded. Set readOnly: true on the mount and write the \
                     weights from a separate Job or an init container",
                    mount.name
                )
            } else {
                let host = volume.is_some_and(|v| v.host_path.is_some());
                let per_replica = volume.is_none();
                let sharing = match replicas {
                    _ if host => "every pod on the node that mounts the same path".to_owned(),
                    _ if per_replica => continue,
                    None => "every pod of the DaemonSet".to_owned(),
                    Some(n) if n > 1 => format!("{n} replicas"),
                    Some(_) => continue,
                };
                format!(
                    "container \"{name}\" mounts the model cache {storage} (volume \"{}\") at {path} writable, shared \
                     by {sharing}: the server downloads into it, so it must be writable for a first start, but one \
                     compromised pod can then poison the weights all the others load. Fill the cache once from a Job \
                     and mount it readOnly, or give each pod its own cache (volumeClaimTemplates, an ephemeral \
                     volume or emptyDir)",
                    mount.name
                )
            };
            hits.add(&WRITABLE_MODEL_VOLUME, field, Some(name), message);
        }
    }
}

/// Whether `path` holds the download cache the container's environment points at.
fn is_cache_path(container: ContainerView, path: &str) -> bool {
    let path = normalize_path(path);
    CACHE_VARIABLES.iter().any(|variable| {
        classify::env_var(&container, variable)
            .and_then(|(_, var)| var.value.as_deref())
            .is_some_and(|value| {
                let value = normalize_path(value);
                value == path || value.starts_with(&format!("{path}/")) || path.starts_with(&format!("{value}/"))
            })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::tests::{deployment, gpu_container, pod_findings, rules};

    #[test]
    fn writable_model_volumes_on_serving_workloads_are_reported() {
        let serving = |mount: Value, volume: Value, replicas: u64| {
            let mut object = deployment(
                "llm",
                None,
                json!({"containers":[gpu_container("server", json!({"volumeMounts":[mount]}))],
                "volumes":[volume]}),
            );
            object["spec"]["replicas"] = json!(replicas);
            pod_findings(object)
        };
        let pvc = json!({"name":"models","persistentVolumeClaim":{"claimName":"llama-weights"}});
        let found = serving(json!({"name":"models","mountPath":"/models"}), pvc.clone(), 1);
        assert_eq!(rules(&found), ["TLR-gpu-writable-model-volume"]);
        assert_eq!(found[0].field, "spec.template.spec.containers[0].volumeMounts[0]");
        assert!(
            found[0]
                .message
                .contains("mounts persistentVolumeClaim \"llama-weights\" (volume \"models\") at /models writable"),
            "{}",
            found[0].message
        );
        assert!(serving(
            json!({"name":"models","mountPath":"/models","readOnly":true}),
            pvc.clone(),
            1
        )
        .is_empty());
        // Per-pod storage is not shared.
        assert!(serving(
            json!({"name":"models","mountPath":"/models"}),
            json!({"name":"models","emptyDir":{}}),
            4
        )
        .is_empty());
        // A download cache must be writable; it is reported only when pods share it.
        let cache = json!({"name":"hf","persistentVolumeClaim":{"claimName":"hf"}});
        let mount = json!({"name":"hf","mountPath":"/root/.cache/huggingface"});
        assert!(serving(mount.clone(), cache.clone(), 1).is_empty());
        let found = serving(mount, cache, 3);
        assert_eq!(rules(&found), ["TLR-gpu-writable-model-volume"]);
        assert!(
            found[0].message.contains("shared by 3 replicas"),
            "{}",
            found[0].message
        );
        let host_cache = serving(
            json!({"name":"nim","mountPath":"/opt/nim/.cache"}),
            json!({"name":"nim","hostPath":{"path":"/var/nim"}}),
            1,
        );
        assert!(
            host_cache[0]
                .message
                .contains("every pod on the node that mounts the same path"),
            "{}",
            host_cache[0].message
        );

        // The cache the server's environment points at, under a neutral name.
        let mut nim = deployment(
            "nim",
            None,
            json!({"containers":[gpu_container("nim", json!({
            "env":[{"name":"NIM_CACHE_PATH","value":"/mnt/models/cache"}],
            "volumeMounts":[{"name":"store","mountPath":"/mnt/models"}]}))],
            "volumes":[{"name":"store","nfs":{"server":"nfs","path":"/nim"}}]}),
        );
        assert!(pod_findings(nim.clone()).is_empty());
        nim["spec"]["replicas"] = json!(2);
        assert!(pod_findings(nim)[0].message.contains("the model cache NFS nfs:/nim"));

        // Jobs write the models they train or download.
        let job = json!({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"finetune"},"spec":{"template":{"spec":{
            "containers":[gpu_container("train", json!({"volumeMounts":[{"name":"models","mountPath":"/models"}]}))],
            "volumes":[pvc]}}}});
        assert!(pod_findings(job).is_empty());
        // A StatefulSet's claim templates hold weights per replica.
        let sts = json!({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"template":{"spec":{
            "containers":[gpu_container("server", json!({"volumeMounts":[{"name":"weights","mountPath":"/weights"}]}))]}},
            "volumeClaimTemplates":[{"metadata":{"name":"weights"}}]}});
        assert_eq!(rules(&pod_findings(sts)), ["TLR-gpu-writable-model-volume"]);
    }
}
